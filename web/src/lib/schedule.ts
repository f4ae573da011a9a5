// A commitment's schedule as the person edits it, and its next occurrences in their zone, shown
// before saving so they can see what they are promising.
import type { Schemas } from './api/client';
import { currentZone, dayKey, instantOf, today } from './format';
import { t } from './i18n';

export type Recurrence = Schemas['Recurrence'];
export type DayName = Schemas['DayName'];
export const DAYS: DayName[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface ScheduleDraft {
  kind: Recurrence['kind'];
  /** For `once`: the local date, YYYY-MM-DD. */
  date: string;
  /** Local time of day, HH:MM. */
  at: string;
  days: DayName[];
}

export function emptyDraft(): ScheduleDraft {
  return { kind: 'daily', date: today(), at: '21:00', days: [] };
}

export function draftOf(schedule: Recurrence): ScheduleDraft {
  const draft = emptyDraft();
  draft.kind = schedule.kind;
  if (schedule.kind === 'once') {
    draft.date = dayKey(schedule.due);
    draft.at = new Intl.DateTimeFormat('en-GB', { timeZone: currentZone(), hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(schedule.due));
  } else {
    draft.at = schedule.at.slice(0, 5);
    if (schedule.kind === 'weekly') draft.days = [...schedule.days];
  }
  return draft;
}

/** The schedule to send, or null while the draft is incomplete. */
export function recurrenceOf(draft: ScheduleDraft): Recurrence | null {
  if (!/^\d{2}:\d{2}$/.test(draft.at)) return null;
  switch (draft.kind) {
    case 'once':
      return /^\d{4}-\d{2}-\d{2}$/.test(draft.date) ? { kind: 'once', due: instantOf(draft.date, draft.at) } : null;
    case 'daily':
      return { kind: 'daily', at: draft.at };
    case 'weekdays':
      return { kind: 'weekdays', at: draft.at };
    case 'weekly':
      return draft.days.length ? { kind: 'weekly', at: draft.at, days: DAYS.filter((d) => draft.days.includes(d)) } : null;
  }
}

/** The next `count` due instants (ISO, UTC) after now, walking local days in the viewer's zone. */
export function nextOccurrences(draft: ScheduleDraft, count = 3, now = new Date()): string[] {
  const recurrence = recurrenceOf(draft);
  if (!recurrence) return [];
  if (recurrence.kind === 'once') return recurrence.due > now.toISOString() ? [recurrence.due] : [];
  const found: string[] = [];
  const start = dayKey(now.toISOString());
  // Three weeks and a day: enough for three occurrences of a once-a-week schedule.
  for (let offset = 0; offset < 22 && found.length < count; offset++) {
    const date = addDays(start, offset);
    const weekday = DAYS[(new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7] as DayName;
    const wanted =
      recurrence.kind === 'daily' ||
      (recurrence.kind === 'weekdays' && !['Sat', 'Sun'].includes(weekday)) ||
      (recurrence.kind === 'weekly' && recurrence.days.includes(weekday));
    if (!wanted) continue;
    const due = instantOf(date, draft.at);
    if (due > now.toISOString()) found.push(due);
  }
  return found;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "Weekdays at 21:00" and the like. */
export function describeSchedule(schedule: Recurrence, formatDue: (iso: string) => string): string {
  switch (schedule.kind) {
    case 'once':
      return t('schedule.once_at', { when: formatDue(schedule.due) });
    case 'daily':
      return t('schedule.daily_at', { at: schedule.at.slice(0, 5) });
    case 'weekdays':
      return t('schedule.weekdays_at', { at: schedule.at.slice(0, 5) });
    case 'weekly':
      return t('schedule.weekly_at', { days: schedule.days.map((d) => t(`day.${d}`)).join(', '), at: schedule.at.slice(0, 5) });
  }
}
