// The ACL token the UI sends with every call (X-Nomad-Token), kept in this browser's storage.
import { useState } from 'preact/hooks';
import { get, restartLive, token } from '../api';
import { ErrorBanner, Note, Title } from '../components';

interface TokenInfo {
  AccessorID: string;
  Name: string;
  Type: string;
  Policies: string[] | null;
}

export function TokenView() {
  const current = token.use();
  const [secret, setSecret] = useState(current);
  const [info, setInfo] = useState<TokenInfo | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [note, setNote] = useState('');
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setInfo(null);
    token.set(secret.trim());
    restartLive();
    if (!secret.trim()) {
      setNote('Signed out: calls go without a token (anonymous).');
      return;
    }
    try {
      setInfo(await get<TokenInfo>('/v1/acl/token/self'));
      setNote('Token saved.');
    } catch (err) {
      setError(err as Error);
      setNote('Token saved, but the server did not accept it for /v1/acl/token/self (ACL may be off).');
    }
  };
  return (
    <>
      <Title>ACL Tokens</Title>
      <p>
        With ACL on (<code>--acl</code>), every call needs a token. The secret is kept in this browser only and sent as <code>X-Nomad-Token</code>.
      </p>
      <form class="stack" onSubmit={save} aria-label="ACL token">
        <label>
          Secret ID
          <input type="password" autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="submit">Set token</button>
          <button
            type="button"
            onClick={() => {
              setSecret('');
              token.set('');
              restartLive();
              setInfo(null);
              setNote('Signed out.');
            }}
          >
            Clear token
          </button>
        </div>
      </form>
      <Note text={note} />
      <ErrorBanner error={error} />
      {info ? (
        <dl class="facts">
          <dt>Name</dt>
          <dd>{info.Name}</dd>
          <dt>Accessor</dt>
          <dd>
            <code>{info.AccessorID}</code>
          </dd>
          <dt>Type</dt>
          <dd>{info.Type}</dd>
          <dt>Policies</dt>
          <dd>{(info.Policies ?? []).join(', ') || '—'}</dd>
        </dl>
      ) : null}
    </>
  );
}
