// Keeps one live stream open for the space on screen and tells the screens when something
// changed, so what a partner does appears on the other's open screen without a reload.
import { LiveStream, type LiveState, type SpaceEvent } from './live';
import { forget, reloadSpaces, session } from './session.svelte';
import { navigate } from './router.svelte';

interface Live {
  space: string | null;
  state: LiveState | 'idle';
  /** Events pushed since the stream opened, oldest first (the timeline adds them live). */
  events: SpaceEvent[];
}

export const live: Live = $state({ space: null, state: 'idle', events: [] });

let stream: LiveStream | null = null;
/** The last seq seen per space, so coming back to a space resumes instead of replaying. */
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
const lastSeen = new Map<string, number>();

/**
 * Follows `space` (or nothing); a no-op while it is already followed. A space not yet among
 * the person's loaded spaces is followed once it is (the caller's effect runs again then).
 */
export function follow(space: string | null): void {
  if (space === live.space && (stream || !space)) return;
  stream?.stop();
  stream = null;
  live.space = null;
  live.events = [];
  live.state = 'idle';
  if (!space) return;
  const known = session.spaces.find((s) => s.id === space);
  if (!known) return;
  live.space = space;
  const after = Math.max(known.last_seq, lastSeen.get(space) ?? 0);
  stream = new LiveStream(space, after, {
    event(event) {
      lastSeen.set(space, event.seq);
      live.events.push(event);
      session.changes += 1;
      if (event.kind === 'member.joined' || event.kind === 'member.left' || event.kind === 'space.closed') {
        void reloadSpaces();
      }
    },
    state(state) {
      live.state = state;
      if (state === 'signed_out') {
        forget();
        follow(null);
        navigate('/sign-in', { replace: true });
      } else if (state === 'not_member') {
        follow(null);
        void reloadSpaces().then(() => navigate('/', { replace: true }));
      }
    },
  });
}
