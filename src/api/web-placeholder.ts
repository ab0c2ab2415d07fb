/** Served at / when the web app was not built (dist/web is missing): says how to build it. */
export function placeholderPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agora</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d2733}
code{background:#eef1f4;padding:.1rem .3rem;border-radius:3px}</style></head>
<body>
<h1>Agora is running</h1>
<p>This is your Agora node. Its web app was not built: run <code>npm run build</code> in the Agora checkout and restart the node. Meanwhile, use the command line:</p>
<ul>
<li><code>npx agora status</code> — this node</li>
<li><code>npx agora space create "My team"</code> — a new space</li>
<li><code>npx agora invite --space "My team"</code> — an invite code for someone</li>
<li><code>npx agora join CODE</code> — join a space</li>
</ul>
<p>The API is described at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>`;
}
