// Preloaded with --import: logs the URL of every module the process loads to the file named
// by HM_LOAD_LOG, so a test can tell which packages a command really loaded.
import { register } from 'node:module';

register('./load-log-hooks.mjs', import.meta.url);
