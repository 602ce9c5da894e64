#!/usr/bin/env node
// The compiled CLI (npm ci builds it; `npm run build` after changing src/).
import '../dist/cli/main.js';
