import { startEmbedded } from '../server/embedded.js';
import { runProcess } from '../server/process-main.js';

/** `npm start`: Servo embedded in one process on local disk. */
runProcess('embedded', startEmbedded);
