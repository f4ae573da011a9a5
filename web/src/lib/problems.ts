// The server's problem codes in the person's words. A code the catalogue does not know falls
// back to the server's own detail, which is written for people too.
import type { ApiFailure } from './api/client';
import { t, type MessageKey } from './i18n';
import en from '../messages/en';

export function problemText(failure: ApiFailure): string {
  const key = `problem.${failure.code ?? ''}`;
  if (key in en) return t(key as MessageKey);
  return failure.problem?.detail || failure.problem?.title || t('error.unknown');
}
