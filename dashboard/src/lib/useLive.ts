// React bindings of the `/ws` connection.
import { useEffect, useRef, useState } from "react";

import { live, type Channel, type LiveEvent, type LiveStatus } from "../api/live";

/** Calls `handler` for every event on `channel` while the component is mounted. */
export function useLive(channel: Channel, handler: (event: LiveEvent) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => live.subscribe(channel, (event) => ref.current(event)), [channel]);
}

/** The socket's connection state, for the header badge. */
export function useLiveStatus(): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>("closed");
  useEffect(() => live.onStatus(setStatus), []);
  return status;
}
