// Web Push on this device: whether the browser can show Kept's notifications, turning them on
// (the permission is asked only when the person taps to turn them on) and off. The server's id
// for this device's subscription is remembered here, so the settings know which listed device
// is this one.
import { api, call, type Schemas } from './api/client';

const DEVICE_KEY = 'kept.push.device';

export type PushKinds = Schemas['PushKinds'];

/** Why notifications could not be turned on. */
export class PushRefused extends Error {
  constructor(readonly reason: 'blocked' | 'unavailable') {
    super(reason);
  }
}

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export function notificationsBlocked(): boolean {
  return pushSupported() && Notification.permission === 'denied';
}

/** The server's id of this device's subscription, if it has one. */
export function thisDevice(): string | null {
  return localStorage.getItem(DEVICE_KEY);
}

/** The service worker's registration, when one is active (there is none in development). */
async function registration(): Promise<ServiceWorkerRegistration | null> {
  if (!pushSupported()) return null;
  const found = await navigator.serviceWorker.getRegistration('/');
  if (!found) return null;
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
  ]);
}

/** A base64url key as the bytes `applicationServerKey` wants. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** A name for this device in the person's list, from what the browser says it is. */
export function guessLabel(): string {
  return /Mobi|Android|iPhone|iPad/.test(navigator.userAgent) ? 'Phone' : 'Computer';
}

/**
 * Asks for permission (the person just tapped for it), subscribes this browser with the
 * server's key and registers it. Throws `PushRefused`, or the server's refusal.
 */
export async function turnOn(label: string, kinds: PushKinds): Promise<Schemas['PushSubscription']> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new PushRefused('blocked');
  const worker = await registration();
  if (!worker) throw new PushRefused('unavailable');
  const { public_key } = await call(api.GET('/api/v1/push/public-key'));
  let subscription: PushSubscription;
  try {
    // One made earlier (maybe with a key this server no longer has) would make subscribing fail.
    await (await worker.pushManager.getSubscription())?.unsubscribe();
    subscription = await worker.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(public_key),
    });
  } catch (error) {
    console.error(error);
    throw new PushRefused('unavailable');
  }
  const keys = subscription.toJSON().keys ?? {};
  const device = await call(
    api.POST('/api/v1/me/push-subscriptions', {
      body: {
        endpoint: subscription.endpoint,
        keys: { p256dh: keys['p256dh'] ?? '', auth: keys['auth'] ?? '' },
        label,
        kinds,
      },
    }),
  );
  localStorage.setItem(DEVICE_KEY, device.id);
  return device;
}

/** Removes a device from the person's list; for this one, the browser forgets its subscription. */
export async function removeDevice(id: string): Promise<void> {
  await call(api.DELETE('/api/v1/me/push-subscriptions/{subscription_id}', { params: { path: { subscription_id: id } } }));
  if (id === thisDevice()) await forgetThisDevice();
}

/** This browser stops receiving pushes (its subscription is dropped at the push service). */
export async function forgetThisDevice(): Promise<void> {
  localStorage.removeItem(DEVICE_KEY);
  const worker = await registration();
  const subscription = await worker?.pushManager.getSubscription();
  await subscription?.unsubscribe().catch(() => false);
}

/**
 * Before signing out of this browser only: this device is removed from the list, so nothing
 * is pushed to a browser nobody is signed in on. Failing here must not stop the signing out.
 */
export async function leaveThisDevice(): Promise<void> {
  const id = thisDevice();
  if (!id) return;
  try {
    await removeDevice(id);
  } catch {
    await forgetThisDevice();
  }
}
