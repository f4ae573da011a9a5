// The help resources handed back on leaving, kept so the help screen can show them even when
// the person is already signed out (it also reads them from the public endpoint).
import type { Schemas } from './api/client';

export const help: { resources: Schemas['HelpResource'][] } = $state({ resources: [] });

export function rememberHelp(resources: Schemas['HelpResource'][]): void {
  help.resources = resources;
}
