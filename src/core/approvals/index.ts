/** Approvals: policy, request record, messages, and the service (gate, decisions, one execution, expiry). */
export * from './port.js';
export * from './policy.js';
export * from './request.js';
export * from './render.js';
export { ApprovalService, type ApprovalServiceOptions, type MessageQueue, type RecheckOutcome } from './service.js';
