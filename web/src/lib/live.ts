// The space's live stream: a single-use ticket, then a websocket that replays what came after
// the last event seen and pushes each new one. It reconnects with back-off and resumes from
// the last seq; the close codes are handled as the server documents them.
import { api, ApiFailure, call, type Schemas } from './api/client';

export type SpaceEvent = Schemas['Event'];
export type LiveState = 'connecting' | 'open' | 'waiting' | 'signed_out' | 'not_member';

export interface LiveHandlers {
  event: (event: SpaceEvent) => void;
  state: (state: LiveState) => void;
}

const FIRST_DELAY_MS = 1000;
const LONGEST_DELAY_MS = 30000;

export class LiveStream {
  private socket: WebSocket | null = null;
  /** True from asking for a ticket until the socket closes: one connection at a time. */
  private connecting = false;
  private delay = FIRST_DELAY_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly online = (): void => this.reconnectNow();

  constructor(
    private readonly space: string,
    private after: number,
    private readonly on: LiveHandlers,
  ) {
    window.addEventListener('online', this.online);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.online);
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    this.on.state('connecting');
    let ticket: string;
    try {
      const answer = await call(
        api.POST('/api/v1/spaces/{space_id}/live-ticket', { params: { path: { space_id: this.space } } }),
      );
      ticket = answer.ticket;
    } catch (error) {
      this.connecting = false;
      // No longer a member (or the space is gone): like close code 4403, stop.
      if (error instanceof ApiFailure && error.problem?.status === 404) this.on.state('not_member');
      else this.retryLater();
      return;
    }
    if (this.stopped) {
      this.connecting = false;
      return;
    }
    const origin = window.location.origin.replace(/^http/, 'ws');
    const url = `${origin}/api/v1/spaces/${this.space}/live?ticket=${encodeURIComponent(ticket)}&after=${this.after}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = FIRST_DELAY_MS;
      this.on.state('open');
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as SpaceEvent;
      if (event.seq <= this.after) return;
      this.after = event.seq;
      this.on.event(event);
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.connecting = false;
      if (this.stopped) return;
      if (close.code === 4401) this.on.state('signed_out');
      else if (close.code === 4403) this.on.state('not_member');
      else this.retryLater(); // 1001, 1006, 1011, 4408: resume with `after`
    };
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.on.state('waiting');
    const jittered = this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, LONGEST_DELAY_MS);
    this.timer = setTimeout(() => void this.connect(), jittered);
  }

  private reconnectNow(): void {
    if (this.socket || this.connecting || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.delay = FIRST_DELAY_MS;
    void this.connect();
  }
}
