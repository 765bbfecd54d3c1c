#!/usr/bin/env node
// Entry point of the `outpost` command: the compiled CLI lives in dist/.
import '../dist/cli/main.js';
