// A page's entry: its options come from the page as JSON, so no script is written inline
// (the Content-Security-Policy admits scripts from this origin only).
import { options } from "./options.js";

import { applyForm } from "../../resident/forms.js";

applyForm(options());
