/** `fer serve`: the interactive teaching page on localhost. */
import { FerError } from '../../util/errors';
import { flagInt, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer serve [--port 8080] [--host 127.0.0.1] [--models <dir>] [--csv FILE] [--per-class N]
      Serves the teaching page (web/) on http://127.0.0.1:8080/: pick a test face, move a noise
      slider from 0 to 30 % and watch both models' class probabilities, computed in the browser
      with tfjs, beside the paper's Table 3 accuracy at the nearest noise level. The accuracy
      chart draws the paper's curves and ours, measured in results/<model>/eval.json (the
      folder FER_RESULTS_DIR names, else results/).
      --models is a folder with cnn/ and cnn-lstm/ subfolders (tfjs model.json + weights +
      meta.json); default models/cnn and models/cnn-lstm, else runs/cnn-quick and
      runs/cnn-lstm-quick. Test faces (--per-class per class, default 20) come from the test
      split recorded in the models' meta.json, read from --csv or FER2013_CSV.
      Nothing is fetched from outside this machine, nothing is written, files are streamed, and
      only requests whose Host header names this server (localhost, 127.0.0.1, [::1] or --host,
      with its port) are answered. Stop with Ctrl-C.`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'interactive teaching page: noisy faces, both models live in the browser',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, { values: ['port', 'host', 'models', 'csv', 'per-class'] });
    const port = flagInt(args, 'port', 0, 65535) ?? 8080;
    const perClass = flagInt(args, 'per-class', 1, 1000);
    const host = flagString(args, 'host') ?? '127.0.0.1';
    if (!/^[\w.:-]+$/.test(host))
      throw new FerError(`--host must be a host name or IP address, got '${host}'`);
    const modelsDir = flagString(args, 'models');
    const { startServer } = await import('../../serve');
    const log = (s: string): void => console.error(s);
    if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host))
      log(`serve: warning: --host ${host} makes the page reachable from other machines`);
    const srv = await startServer({
      port,
      host,
      modelsDir,
      csv: flagString(args, 'csv'),
      perClass,
      log,
    });
    for (const m of Object.values(srv.models)) log(`serve: ${m.name} from ${m.dir}`);
    log(`serve: ${srv.faces.rows.length} test faces from the ${srv.faces.split} split`);
    console.log(`Teaching page: ${srv.url}  (Ctrl-C to stop)`);
    // Runs until interrupted; the CLI exits with the code this resolves to.
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await srv.close();
    return 0;
  },
};
