/**
 * The checkers' public surface, for the chaos runner: the history model, the checkers, and the report.
 */
export * from './check-result.js';
export * from './history.js';
export { parseJepsenLog, parseJepsenValue, readJepsenLog, JepsenLogError, type JepsenLogOptions } from './jepsen-log.js';
export type { SearchResult, SequentialModel, StepResult } from './sequential-model.js';
export * from './linearizability.js';
export { registerModel, registerValuesEqual, casArguments, type RegisterValue } from './register-model.js';
export * from './lease-exclusivity.js';
export * from './lost-writes.js';
export * from './watch-order.js';
export * from './registry-staleness.js';
export { renderTextVerdict, renderHtmlReport, renderJsonHistory, escapeHtml, type HtmlReportInput, type ReportStats } from './report.js';
export { renderTimelineSvg, type TimelineInput } from './html-timeline.js';
export * from './fencing-order.js';
export * from './election-safety.js';
