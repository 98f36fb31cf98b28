// FlagKit console: progressive enhancement only; every page works without it.
// Served as a file (the Content-Security-Policy allows no inline script).
"use strict";
