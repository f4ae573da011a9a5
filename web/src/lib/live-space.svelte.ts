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

/** Follows `space` (or nothing); a no-op while it is already followed. */
export function follow(space: string | null): void {
  if (space === live.space) return;
  stream?.stop();
  stream = null;
  live.space = space;
  live.events = [];
  live.state = 'idle';
  if (!space) return;
  const known = session.spaces.find((s) => s.id === space);
  if (!known) return;
  stream = new LiveStream(space, known.last_seq, {
    event(event) {
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
