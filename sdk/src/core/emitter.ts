export type Listener = (payload: unknown) => void;

export interface Emitter {
  on(name: string, listener: Listener): () => void;
  emit(name: string, payload: unknown): void;
}

/** A tiny event emitter; a listener that throws never breaks the SDK or the host page. */
export const createEmitter = (): Emitter => {
  const listeners: Record<string, Listener[]> = {};
  return {
    on(name, listener) {
      (listeners[name] ||= []).push(listener);
      return () => {
        listeners[name] = (listeners[name] || []).filter((l) => l !== listener);
      };
    },
    emit(name, payload) {
      for (const l of listeners[name] || []) {
        try {
          l(payload);
        } catch {
          // A host page's listener must not break delivery.
        }
      }
    },
  };
};
