import { useEffect, useRef, useState } from 'preact/hooks';
import { createDecoder, type DecoderKind } from '../lib/barcode-decoder';
import { Field } from './Field';
import { Notice } from './Notice';

/*
 * The phone camera as a barcode reader (issue 17). Asks for the rear camera, decodes frames until a code
 * is found (lib/barcode-decoder.ts: BarcodeDetector, else zxing-wasm), then stops the camera and hands
 * the code over. Typing the code is always offered below the picture, and becomes the only way when the
 * camera cannot be used — permission refused, no camera, a page not served over HTTPS (the browser then
 * has no navigator.mediaDevices) — with the reason said in words.
 */

type CameraState =
  | { status: 'starting' }
  | { status: 'scanning'; decoder: DecoderKind }
  | { status: 'unavailable'; reason: 'denied' | 'absent' | 'failed' };

const REASONS = {
  denied: 'Camera access was refused. Allow the camera for this site in the browser settings to scan, or type the code.',
  absent: 'No camera is available here. Type the code from the label instead.',
  failed: 'The camera could not be started. Type the code from the label instead.',
} as const;

/** Between two frames: fast enough to feel instant, slow enough to leave a phone's CPU for the page. */
const FRAME_INTERVAL_MS = 120;

function reasonOf(err: unknown): 'denied' | 'absent' | 'failed' {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') return 'absent';
  return 'failed';
}

export interface ScannerProps {
  onCode: (code: string) => void;
  busy?: boolean;
  /**
   * A code the camera should read past: the one that just found nothing. It is still in front of the
   * lens, and handing it over again would look it up again and again, several times a second.
   */
  skip?: string | null;
}

export function Scanner({ onCode, busy = false, skip = null }: ScannerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<CameraState>({ status: 'starting' });
  const [typed, setTyped] = useState('');
  const handed = useRef(onCode);
  handed.current = onCode;
  const skipped = useRef(skip);
  skipped.current = skip;

  useEffect(() => {
    let stopped = false;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
    (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setState({ status: 'unavailable', reason: 'absent' });
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
        });
      } catch (err) {
        if (!stopped) setState({ status: 'unavailable', reason: reasonOf(err) });
        return;
      }
      const element = video.current;
      if (stopped || !element) return stop();
      element.srcObject = stream;
      try {
        await element.play();
        const decoder = await createDecoder();
        if (stopped) return;
        setState({ status: 'scanning', decoder: decoder.kind });
        const tick = async () => {
          if (stopped) return;
          let code: string | null = null;
          try {
            code = await decoder.decode(element);
          } catch {
            // One unreadable frame (the stream resizing, a frame not yet painted): try the next.
          }
          if (stopped) return;
          if (code && code !== skipped.current) {
            // Decoding ends here; the picture stays live behind "Looking it up…" until the screen
            // leaves (or a miss starts a new Scanner), and the cleanup below releases the camera.
            if (timer !== undefined) clearTimeout(timer);
            handed.current(code);
          } else timer = setTimeout(tick, FRAME_INTERVAL_MS);
        };
        void tick();
      } catch {
        const unmounted = stopped;
        stop();
        if (!unmounted) setState({ status: 'unavailable', reason: 'failed' });
      }
    })();
    return stop;
  }, []);

  const decoder = state.status === 'scanning' ? state.decoder : undefined;
  return (
    <div class="scanner" data-state={state.status} data-decoder={decoder}>
      {state.status === 'unavailable' ? (
        <Notice tone="warning">{REASONS[state.reason]}</Notice>
      ) : (
        <div class="scanner__view">
          <video ref={video} class="scanner__video" muted playsInline aria-label="Camera picture" />
          <p class="scanner__hint" role="status">
            {state.status === 'starting' ? 'Starting the camera…' : busy ? 'Looking it up…' : 'Point the camera at a barcode or QR code.'}
          </p>
        </div>
      )}
      <form
        class="scanner__type"
        onSubmit={(e) => {
          e.preventDefault();
          const code = typed.trim();
          if (code) onCode(code);
        }}
      >
        <Field
          label={state.status === 'unavailable' ? 'Barcode or SKU' : 'Or type the barcode or SKU'}
          name="code"
          value={typed}
          onValue={setTyped}
          autoComplete="off"
          autoFocus={state.status === 'unavailable'}
          id="scan-code"
        />
        <button type="submit" class="btn" disabled={busy}>
          Find
        </button>
      </form>
    </div>
  );
}
