import type { Detector } from '../detector.js';
import { backdoorTriggerDetector } from './backdoor-trigger.js';
import { hiddenTextDetector } from './hidden-text.js';
import { piiDetector } from './pii.js';
import { promptInjectionDetector } from './prompt-injection.js';
import { safetyStrippingDetector } from './safety-stripping.js';
import { secretsDetector } from './secrets.js';
import { templateInjectionDetector } from './template-injection.js';

/**
 * Content detectors (injected instructions, hidden text, template injection,
 * safety stripping, backdoor triggers, PII and secrets). The scan engine's
 * registry includes every detector listed here.
 */
export const contentDetectors: readonly Detector[] = [
  promptInjectionDetector,
  hiddenTextDetector,
  templateInjectionDetector,
  safetyStrippingDetector as Detector,
  backdoorTriggerDetector as Detector,
  piiDetector,
  secretsDetector,
];
