// A push service on loopback for the browser story, standing in for the one Chromium would use
// (which headless Chromium cannot reach here): it holds one device's P-256 key pair and auth
// secret, receives what the server pushes to that device, and decrypts it (RFC 8291
// aes128gcm) with Node's crypto, so the story can hand the very payload to the service worker.
import { createECDH, createDecipheriv, createHmac, randomBytes, type ECDH } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';

export interface PushService {
  /** What the stubbed `PushManager.subscribe` hands the page: endpoint and keys, base64url. */
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** The decrypted payloads received so far, oldest first. */
  received: unknown[];
  stop: () => Promise<void>;
}

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** The body of one aes128gcm push, decrypted with the device's key and auth secret. */
function decrypt(body: Buffer, device: ECDH, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const sender = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const shared = device.computeSecret(sender);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), device.getPublicKey(), sender, Buffer.from([1])]);
  const ikm = hmac(hmac(auth, shared), keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'latin1')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 2, then any zero padding.
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) end--;
  return padded.subarray(0, end);
}

export async function startPushService(): Promise<PushService> {
  const device = createECDH('prime256v1');
  device.generateKeys();
  const auth = randomBytes(16);
  const received: unknown[] = [];
  const server: HttpServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        received.push(JSON.parse(decrypt(Buffer.concat(chunks), device, auth).toString('utf8')));
        response.writeHead(201).end();
      } catch (error) {
        console.error('push service: cannot read a push', error);
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    subscription: {
      endpoint: `http://127.0.0.1:${port}/push/this-device`,
      keys: { p256dh: device.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    },
    received,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
