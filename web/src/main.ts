// Entry: mount the app and register the service worker (which makes it installable, lets the
// shell and the last timeline open offline, and shows Web Push notifications).
import { mount } from 'svelte';
import App from './App.svelte';
import { appPath, navigate } from './lib/router.svelte';
import './app.css';

const target = document.getElementById('app');
if (target) mount(App, { target });

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/sw.js', { scope: '/' });
  // A tapped notification asks the open app to show its screen.
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    const data: unknown = event.data;
    if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'open' && 'link' in data) {
      const link = appPath(typeof data.link === 'string' ? data.link : null);
      if (link) navigate(link);
    }
  });
}
