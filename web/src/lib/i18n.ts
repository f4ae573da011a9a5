// Every word the app shows comes from one catalogue (src/messages/en.ts); a translation is one
// more file with the same keys, which the type checker holds to the English one.
import en from '../messages/en';

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;

const catalogue: Catalogue = en;

/** The message for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
