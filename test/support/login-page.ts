/**
 * A browser for the hosted login page: a cookie jar, no redirects followed (a test reads each
 * `Location`), the page's form read as a browser reads it.
 */

/** A browser's cookie jar: what the service set, sent back on every request. */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** The cookies set by the last answer, by name, with their attributes. */
  lastSet = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    this.lastSet = new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      this.cookies.set(name, pair.slice(eq + 1).trim());
      this.lastSet.set(name, line);
    }
    return response;
  }
}

const unescapeHtml = (value: string): string =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The hidden fields of the hosted login form. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescapeHtml(match[1] ?? '')] = unescapeHtml(match[2] ?? '');
  }
  return fields;
}

/** The form's action, as the page gives it. */
export const formAction = (html: string): string =>
  unescapeHtml(/<form method="post" action="([^"]*)">/.exec(html)?.[1] ?? '');

/**
 * Opens an authorization URL in a new browser and, when the login page answers, signs in as a
 * browser would (same-origin `Origin`): where the authorization ends (the redirect to the
 * client), or undefined when it ends on a page (an error page, a wrong password).
 */
export async function signInThroughLoginPage(
  authorizeUrl: URL,
  credentials: { username: string; password: string },
): Promise<URL | undefined> {
  const browser = new Browser();
  const page = await browser.fetch(String(authorizeUrl));
  const location = page.headers.get('location');
  if (location !== null) return new URL(location);
  if (page.status !== 200) return undefined;
  const html = await page.text();
  const answer = await browser.fetch(new URL(formAction(html), authorizeUrl).toString(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: authorizeUrl.origin,
    },
    body: new URLSearchParams({ ...hiddenFields(html), ...credentials }).toString(),
  });
  const next = answer.headers.get('location');
  return next === null ? undefined : new URL(next);
}
