// Screens read from the server and read again whenever the live stream says something
// changed: the event log is the truth, nothing is patched on the client.
import { session } from './session.svelte';

/** Runs `load` now and after every live change while the calling component lives. */
export function reloadOnChange(load: () => Promise<void>): void {
  $effect(() => {
    void session.changes;
    void load();
  });
}
