// Preloaded with `node -r`: as the process exits, writes the files of the
// CommonJS modules it loaded (the keys of require.cache), as a JSON array,
// to the file LOADED_MODULES_FILE names.
'use strict';
const fs = require('node:fs');

process.on('exit', () => fs.writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));
