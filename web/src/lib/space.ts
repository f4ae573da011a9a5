// Small readings of a space: who the partner is, and a member's name for an id.
import type { Schemas } from './api/client';
import { t } from './i18n';

type Space = Schemas['Space'];

export function partnerOf(space: Space | undefined, me: string | undefined): Schemas['Member'] | undefined {
  return space?.members.find((m) => m.user_id !== me);
}

/** "you" for the viewer, the member's name otherwise, "a former member" for someone gone. */
export function nameOf(space: Space | undefined, me: string | undefined, user: string | null | undefined): string {
  if (!user) return t('who.kept');
  if (user === me) return t('who.you');
  return space?.members.find((m) => m.user_id === user)?.display_name ?? t('who.former');
}
