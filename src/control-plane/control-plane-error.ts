import { TunegateError } from '../contracts/error.js';

/** Codes raised while configuring or opening the control plane. */
export type ControlPlaneErrorCode = 'control_plane.invalid_config' | 'control_plane.unavailable';

/** Errors of the composition root (configuration, startup). */
export class ControlPlaneError extends TunegateError<ControlPlaneErrorCode> {}
