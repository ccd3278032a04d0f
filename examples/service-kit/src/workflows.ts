/**
 * The workflow types the examples know, with the steps workflow-agent plans for each. A Map,
 * not an object literal: the type is the client's text, and `STEPS['__proto__']` or
 * `STEPS['constructor']` on an object would return a prototype member (a 500, a wrong plan).
 */
export const WORKFLOW_STEPS: ReadonlyMap<string, readonly string[]> = new Map([
  ['report', ['collect', 'summarise', 'render']],
  ['research', ['search', 'read', 'extract', 'summarise']],
]);

/**
 * The `workflow_type` of a metric label: a known type as it is, any other text `other`. The type
 * is the client's text; as a label, a client sending a few dozen made-up types would fill the
 * metric's label sets and push every real type into the overflow series. Spans and logs keep the
 * text itself.
 */
export function workflowTypeLabel(type: string): string {
  return WORKFLOW_STEPS.has(type) ? type : 'other';
}
