import type { CaseKind, ChatMessage, Expectation, GraderSettings } from './suite-schema.js';

/** Which side of a trigger probe pair a case is. */
export interface TriggerProbe {
  /** Id of the probe (shared by the with/without variants). */
  probe: string;
  /** The trigger inserted, or null for the clean variant. */
  trigger: string | null;
}

/** A fully expanded case, ready to send: templates rendered, matrix expanded. */
export interface EvalCase {
  suite: string;
  /** Unique within a run: `<suite>/<case id>[#<matrix index>][@<trigger variant>]`. */
  key: string;
  id: string;
  category: string;
  kind: CaseKind;
  tags: string[];
  messages: ChatMessage[];
  expect: Expectation[];
  graders: GraderSettings;
  /** Where the case is defined, for error messages and reports. */
  source: { file: string; line: number };
  trigger?: TriggerProbe;
}
