import { useRef, useState, type CSSProperties, type MouseEvent, type ReactElement, type RefObject } from 'react';
import { ReferenceArea } from 'recharts';
import { zoomSelection } from './history-range.ts';

/**
 * Drag-to-zoom over a recharts time chart, shared by the equipment chart (metric-chart.tsx)
 * and a work order's fault trend (workorders/trend-chart.tsx). Imports recharts: use it
 * only from modules loaded with React.lazy.
 */

export interface DragZoomOptions {
  /** The x-domain drawn (epoch ms): the axis is linear between them, so a position maps to a time exactly. */
  from: number;
  to: number;
  /** Where the plot area starts and ends inside the chart box: left margin plus the value axis' width, and the right margin. */
  inset: { left: number; right: number };
  /** A span dragged across the chart; without it the chart does not zoom. */
  onZoom?: (from: number, to: number) => void;
}

export interface DragZoom {
  /** Spread on the element around the chart (its box is what positions are measured against). */
  boxProps: {
    ref: RefObject<HTMLDivElement | null>;
    style?: CSSProperties;
    onMouseDown?: (event: MouseEvent) => void;
    onMouseMove?: (event: MouseEvent) => void;
    onMouseUp?: () => void;
    onMouseLeave?: () => void;
  };
  dragging: boolean;
  /** The span being dragged, shaded; a child of the recharts chart (null when there is none). */
  selection: ReactElement | null;
}

export function useDragZoom({ from, to, inset, onZoom }: DragZoomOptions): DragZoom {
  const box = useRef<HTMLDivElement>(null);
  // The drag in progress: where it started and where the pointer is, as times on the axis.
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);

  // The pointer's time from its position over the plot area, not from the nearest point:
  // a drag over a stretch without readings zooms all the same.
  const timeAt = (event: MouseEvent): number | null => {
    const rect = box.current?.getBoundingClientRect();
    if (!rect) return null;
    const left = rect.left + inset.left;
    const width = rect.width - inset.left - inset.right;
    if (width <= 0) return null;
    const share = Math.min(1, Math.max(0, (event.clientX - left) / width));
    return from + share * (to - from);
  };

  const finish = () => {
    if (drag && onZoom) {
      const span = zoomSelection(drag.start, drag.end);
      if (span) onZoom(Math.round(span.from), Math.round(span.to));
    }
    setDrag(null);
  };

  const boxProps: DragZoom['boxProps'] = onZoom
    ? {
        ref: box,
        style: { cursor: 'crosshair', userSelect: 'none' },
        onMouseDown: (event) => {
          if (event.button !== 0) return;
          const at = timeAt(event);
          if (at !== null) setDrag({ start: at, end: at });
          event.preventDefault();
        },
        onMouseMove: (event) => {
          if (!drag) return;
          const at = timeAt(event);
          if (at !== null) setDrag({ start: drag.start, end: at });
        },
        onMouseUp: finish,
        onMouseLeave: finish,
      }
    : { ref: box };

  const selection =
    drag && drag.end !== drag.start ? (
      <ReferenceArea x1={Math.min(drag.start, drag.end)} x2={Math.max(drag.start, drag.end)} fill="#2f6fed" fillOpacity={0.15} stroke="#2f6fed" strokeOpacity={0.4} ifOverflow="hidden" />
    ) : null;

  return { boxProps, dragging: drag !== null, selection };
}
