// Re-export the nested Express 4 so it keeps its own module path (node_modules/express),
// which lets OpenTelemetry's express instrumentation recognise and patch it.
module.exports = require('express');
