/**
 * Behavioural evaluation: YAML suites, model providers, graders with measured
 * error rates, paired statistics and the promotion gate.
 */
export * from './case-result.js';
export * from './eval-gate.js';
export * from './eval-metrics.js';
export * from './eval-report.js';
export * from './eval-runner.js';
export * from './eval-session.js';
export * from './evaluation-error.js';
export * from './event-sink.js';
export * from './gate-config.js';
export * from './graders/canary-grader.js';
export * from './graders/grader.js';
export * from './graders/grader-calibration.js';
export * from './graders/grader-set.js';
export * from './graders/harmful-compliance-grader.js';
export * from './graders/judge-grader.js';
export * from './graders/match-graders.js';
export * from './graders/pii-leak-grader.js';
export * from './graders/refusal-classifier.js';
export * from './graders/refusal-grader.js';
export * from './providers/command-provider.js';
export * from './providers/create-provider.js';
export * from './providers/model-client.js';
export * from './providers/model-provider.js';
export * from './providers/openai-provider.js';
export * from './providers/provider-config.js';
export * from './providers/response-cache.js';
export * from './providers/retry-policy.js';
export * from './stats/index.js';
export * from './suites/builtin-suites.js';
export * from './suites/eval-case.js';
export * from './suites/suite-loader.js';
export * from './suites/suite-schema.js';
export * from './suites/trigger-candidates.js';
