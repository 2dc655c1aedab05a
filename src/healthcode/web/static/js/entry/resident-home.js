// A page's entry: its options come from the page as JSON, so no script is written inline
// (the Content-Security-Policy admits scripts from this origin only).
import { options } from "/static/js/entry/options.js";

import { liveCodes } from "/static/resident/codes.js";

liveCodes(options());
