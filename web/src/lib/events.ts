// The timeline's events in people's words ("Ben asked what he needs"), one sentence each.
import type { SpaceEvent } from './live';
import type { Schemas } from './api/client';
import { t } from './i18n';
import { dateTime } from './format';
import { nameOf } from './space';

type Space = Schemas['Space'];

/** The sentence for one event, and the screen it links to (if any). */
export function describe(event: SpaceEvent, space: Space | undefined, me: string | undefined): { text: string; href?: string } {
  const who = nameOf(space, me, event.actor_id);
  const base = `/spaces/${event.space_id}`;
  switch (event.kind) {
    case 'space.created':
      return { text: t('event.space_created', { who, name: event.payload.name }) };
    case 'invite.created':
      return { text: t('event.invite_created', { who }) };
    case 'invite.revoked':
      return { text: t('event.invite_revoked', { who }) };
    case 'member.joined':
      return { text: t('event.member_joined', { who: event.payload.display_name }) };
    case 'member.left':
      return { text: t('event.member_left', { who: nameOf(space, me, event.payload.user_id) }) };
    case 'check_in.created':
      return {
        text:
          'text' in event.payload
            ? t('event.check_in', { who, text: event.payload.text })
            : t('event.check_in_removed', { who }),
      };
    case 'check_in.redacted':
      return { text: t('event.check_in_removed', { who }) };
    case 'request.created':
      return { text: t('event.request_created', { who, text: event.payload.text }), href: `${base}/requests/${event.payload.request_id}` };
    case 'request.acknowledged':
      return { text: t('event.request_acknowledged', { who, text: event.payload.reply }), href: `${base}/requests/${event.payload.request_id}` };
    case 'request.resolved':
      return {
        text: event.payload.felt_heard === false ? t('event.request_resolved_unheard', { who }) : t('event.request_resolved', { who }),
        href: `${base}/requests/${event.payload.request_id}`,
      };
    case 'request.withdrawn':
      return { text: t('event.request_withdrawn', { who }), href: `${base}/requests/${event.payload.request_id}` };
    case 'commitment.created':
      return { text: t('event.commitment_created', { who, text: event.payload.text }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'commitment.renegotiated':
      return { text: t('event.commitment_renegotiated', { who, text: event.payload.text }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'commitment.retired':
      return { text: t('event.commitment_retired', { who }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'occurrence.kept':
      return { text: t('event.occurrence_kept', { who, when: dateTime(event.payload.due_at) }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'occurrence.confirmed':
      return { text: t('event.occurrence_confirmed', { who }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'occurrence.disputed':
      return { text: t('event.occurrence_disputed', { who, text: event.payload.reason }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'occurrence.missed':
      return { text: t('event.occurrence_missed', { when: dateTime(event.payload.due_at) }), href: `${base}/commitments/${event.payload.commitment_id}` };
    case 'note.scheduled':
      return { text: t('event.note_scheduled', { when: 'deliver_at' in event.payload ? dateTime(event.payload.deliver_at) : '' }) };
    case 'note.delivered':
      if (!('kind' in event.payload)) return { text: t('event.note_removed') };
      return {
        text: t(event.payload.kind === 'letter' ? 'event.letter_delivered' : 'event.gratitude_delivered', { who: nameOf(space, me, event.payload.author_id) }),
        href: `${base}/notes/${event.payload.note_id}`,
      };
    case 'note.redacted':
      return { text: t('event.note_removed') };
    case 'trust.rated':
      return { text: t('event.trust_rated', { who, score: event.payload.score }) };
    case 'activity.planned':
      return { text: t('event.activity_planned', { who, text: event.payload.title }), href: `${base}/together` };
    case 'activity.done':
      return { text: t('event.activity_done', { who }), href: `${base}/together` };
    case 'talk.proposed':
      return { text: t('event.talk_proposed', { who, text: event.payload.title, when: dateTime(event.payload.starts_at) }), href: `${base}/talks/${event.payload.talk_id}` };
    case 'talk.accepted':
      return { text: t('event.talk_accepted', { who }), href: `${base}/talks/${event.payload.talk_id}` };
    case 'talk.declined':
      return { text: t('event.talk_declined', { who }), href: `${base}/talks/${event.payload.talk_id}` };
    case 'talk.moved':
      return { text: t('event.talk_moved', { who, when: dateTime(event.payload.starts_at) }), href: `${base}/talks/${event.payload.talk_id}` };
    case 'talk.agenda_added':
      return { text: t('event.talk_agenda', { who, text: event.payload.item }), href: `${base}/talks/${event.payload.talk_id}` };
    case 'talk.marked':
      return {
        text: t(event.payload.outcome === 'held' ? 'event.talk_held' : 'event.talk_skipped', { who }),
        href: `${base}/talks/${event.payload.talk_id}`,
      };
    case 'reminder.due':
      return { text: t(`event.reminder_${event.payload.reminder}`) };
    case 'weekly.opened':
      return { text: t('event.weekly_opened', { when: dateTime(event.payload.closes_at) }) };
    case 'weekly.ready':
      return { text: t('event.weekly_ready', { who }) };
    case 'weekly.revealed':
      return { text: t('event.weekly_revealed') };
    case 'weekly.closed':
      return { text: t('event.weekly_closed') };
    case 'weekly.shared':
      return { text: t('event.weekly_shared', { who }) };
    case 'weekly.plan_proposed':
      return { text: t('event.weekly_plan_proposed', { who }), href: `${base}/weekly` };
    case 'weekly.plan_agreed':
      return { text: t('event.weekly_plan_agreed', { who }), href: `${base}/weekly` };
    case 'weekly.plan_dropped':
      return { text: t('event.weekly_plan_dropped', { who }), href: `${base}/weekly` };
    case 'space.closed':
      return { text: t('event.space_closed') };
  }
}
