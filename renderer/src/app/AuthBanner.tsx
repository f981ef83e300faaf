/** Shown when the server answered 401: the session cookie is gone; logging in again fixes it. */
import { useApp } from './services-context.js';

export function AuthBanner() {
  const loggedOut = useApp((s) => s.loggedOut);
  const isHttp = useApp((s) => s.connection.kind !== 'local');
  if (!loggedOut) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>You are not logged in to this Tapline server.</strong>{' '}
      {isHttp ? (
        <>
          Your session expired or was revoked. <a href="/login">Log in again</a> with the login link that <code>tapline serve</code> printed,
          then reload this page.
        </>
      ) : (
        'Restart the application.'
      )}
    </div>
  );
}
