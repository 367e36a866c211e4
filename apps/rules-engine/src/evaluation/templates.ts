import Mustache from 'mustache';

/** What action params may refer to: `{{rule.name}}`, `{{condition.result}}`, `{{trigger.data.x}}`, `{{now}}`. */
export interface TemplateView {
  rule: { id: string; name: string };
  condition: { result: string };
  trigger: { type: string; event: string; data: Record<string, unknown> };
  now: string;
}

/**
 * Renders every string in `params` with Mustache (logic-less: no code runs, no partials are
 * loaded). Output goes to Slack or GitHub as plain text, so nothing is HTML-escaped.
 */
export function renderParams(
  params: Record<string, unknown>,
  view: TemplateView,
): Record<string, unknown> {
  const render = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return Mustache.render(value, view, {}, { escape: (text: unknown) => String(text) });
    }
    if (Array.isArray(value)) return value.map(render);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
    }
    return value;
  };
  return render(params) as Record<string, unknown>;
}
