// Structured logs: JSON lines for journald and files, readable colour lines on a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(level: string, stream: NodeJS.WritableStream = process.stderr): Logger {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  const destination = tty ? pretty({ colorize: true, destination: stream, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }) : stream;
  return pino({ level, base: undefined }, destination);
}
