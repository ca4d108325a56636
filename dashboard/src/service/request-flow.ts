import { type RequestStatus, type ServiceRequest } from './service-api.ts';

/**
 * The vocabulary of a request's life, shared by the service desk and the resident view:
 * which statuses are still being worked on, the steps a requester sees ticked off, and
 * what the intake form must hold before the hub is asked.
 */

/** Filter presets of the request list; `all` sends no status. */
export const requestViews = ['open', 'done', 'rejected', 'all'] as const;
export type RequestView = (typeof requestViews)[number];

const statusesOfView: Record<RequestView, readonly RequestStatus[]> = {
  open: ['new', 'classified', 'dispatched', 'in_progress'],
  done: ['resolved', 'closed'],
  rejected: ['rejected'],
  all: [],
};

export function statusesFor(view: RequestView): readonly RequestStatus[] {
  return statusesOfView[view];
}

/** Pill colours: new work stands out, work under way is amber, finished is green. */
export function requestStatusTone(status: RequestStatus): 'high' | 'medium' | 'low' | 'ok' | 'unknown' {
  switch (status) {
    case 'new':
      return 'high';
    case 'classified':
    case 'dispatched':
      return 'low';
    case 'in_progress':
      return 'medium';
    case 'resolved':
    case 'closed':
      return 'ok';
    case 'rejected':
      return 'unknown';
  }
}

export const progressSteps = ['received', 'dispatched', 'in_progress', 'resolved', 'closed'] as const;
export type ProgressStep = (typeof progressSteps)[number];

export interface ProgressMark {
  step: ProgressStep;
  state: 'done' | 'current' | 'todo';
  /** When the step was reached, where the hub records it. */
  at: string | null;
}

/** How far along each status is on the steps a requester follows. */
const reached: Record<Exclude<RequestStatus, 'rejected'>, number> = { new: 0, classified: 0, dispatched: 1, in_progress: 2, resolved: 3, closed: 4 };

/**
 * The steps ticked off so far. A rejected request has no progress past "received": the
 * caller shows the rejection instead of the later steps.
 */
export function requestProgress(request: Pick<ServiceRequest, 'status' | 'createdAt' | 'dispatchedAt' | 'resolvedAt' | 'closedAt'>): ProgressMark[] {
  const at: Record<ProgressStep, string | null> = {
    received: request.createdAt,
    dispatched: request.dispatchedAt,
    in_progress: null,
    resolved: request.resolvedAt,
    closed: request.closedAt,
  };
  const index = request.status === 'rejected' ? 0 : reached[request.status];
  return progressSteps.map((step, i) => ({
    step,
    // The last step is only "current" while not finished: a closed request is all done.
    state: i < index || (i === index && request.status === 'closed') ? 'done' : i === index ? 'current' : 'todo',
    at: i <= index ? at[step] : null,
  }));
}

export interface IntakeForm {
  unitId: string;
  buildingId: string;
  contactName: string;
  location: string;
  category: string;
  urgency: string;
  description: string;
}

export const emptyIntake: IntakeForm = { unitId: '', buildingId: '', contactName: '', location: '', category: '', urgency: '', description: '' };

export type IntakeProblem = 'where' | 'category' | 'description';

/**
 * What the form still lacks before the hub is asked: a unit or a building, a category
 * and a description. The hub checks again (and more: that the unit exists); these only
 * spare a round trip for the obvious.
 */
export function intakeProblems(form: IntakeForm): IntakeProblem[] {
  const problems: IntakeProblem[] = [];
  if (!form.unitId && !form.buildingId.trim()) problems.push('where');
  if (!form.category) problems.push('category');
  if (!form.description.trim()) problems.push('description');
  return problems;
}
