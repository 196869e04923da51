// The `/ws` connection: one socket per tab, channel subscriptions, reconnect with backoff.

export const CHANNELS = ["QUOTES", "OPTIONS", "DECISIONS", "CYCLES", "ALERTS", "BACKTEST"] as const;
export type Channel = (typeof CHANNELS)[number];

/** A thin event as the API fans it out; details are fetched over REST. */
export interface LiveEvent {
  channel: Channel;
  type: string;
  payload: Record<string, unknown>;
  id: string | null;
}

export type LiveStatus = "connecting" | "open" | "closed";
type Listener = (event: LiveEvent) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isChannel(value: unknown): value is Channel {
  return typeof value === "string" && (CHANNELS as readonly string[]).includes(value);
}

/** Parses one server frame; control frames (acks, errors) and junk give null. */
export function parseFrame(raw: string): LiveEvent | null {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(message) || !isChannel(message.channel)) return null;
  const type = message.type ?? message.event_type ?? message.event;
  if (typeof type !== "string") return null;
  const payload = isRecord(message.payload) ? message.payload : isRecord(message.data) ? message.data : {};
  const id = typeof message.id === "string" || typeof message.id === "number" ? String(message.id) : null;
  return { channel: message.channel, type, payload, id };
}

/** Socket URL on the page's own origin (the API serves the dashboard). */
function socketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/ws`;
}

/** Events kept per channel, so a view mounted just after an event still sees it. */
const HISTORY = 500;

class LiveSocket {
  private socket: WebSocket | null = null;
  private readonly history = new Map<Channel, LiveEvent[]>();
  private readonly listeners = new Map<Channel, Set<Listener>>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private status: LiveStatus = "closed";
  private retryMs = 500;
  private retryTimer: number | null = null;
  private wanted = false;

  /** Subscribes to a channel; the returned function unsubscribes. */
  subscribe(channel: Channel, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      this.sendSubscriptions();
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** The events received on `channel` since the socket opened (the last few hundred). */
  recent(channel: Channel): readonly LiveEvent[] {
    return this.history.get(channel) ?? [];
  }

  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => {
      this.statusListeners.delete(listener);
    };
  }

  /** Opens the socket (after login); reconnects until `stop`. */
  start(): void {
    this.wanted = true;
    if (this.socket === null) this.connect();
  }

  stop(): void {
    this.wanted = false;
    this.history.clear();
    if (this.retryTimer !== null) window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.close();
    this.socket = null;
    this.setStatus("closed");
  }

  private connect(): void {
    this.setStatus("connecting");
    const socket = new WebSocket(socketUrl());
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      this.setStatus("open");
      this.sendSubscriptions();
    };
    socket.onmessage = (message: MessageEvent) => {
      if (typeof message.data !== "string") return;
      const event = parseFrame(message.data);
      if (event === null) return;
      const kept = this.history.get(event.channel) ?? [];
      kept.push(event);
      if (kept.length > HISTORY) kept.splice(0, kept.length - HISTORY);
      this.history.set(event.channel, kept);
      for (const listener of this.listeners.get(event.channel) ?? []) listener(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setStatus("closed");
      if (this.wanted) {
        this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
      }
    };
  }

  private sendSubscriptions(): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    const channels = [...this.listeners.keys()];
    this.socket.send(JSON.stringify({ action: "subscribe", channels }));
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}

/** The tab's one live connection. */
export const live = new LiveSocket();
