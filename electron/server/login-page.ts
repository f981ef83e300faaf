/** The login page: a plain form (no script, no inline style), so the strict CSP holds. */
import { escapeHtml } from './static-files.js';

export function loginPage(message: string | null): string {
  const note = message ? `<p role="alert"><strong>${escapeHtml(message)}</strong></p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tapline: log in</title>
</head>
<body>
<main>
<h1>Tapline</h1>
${note}<p>Open the login link that <code>tapline serve</code> printed, or paste its token here.</p>
<form method="post" action="/login">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`;
}
