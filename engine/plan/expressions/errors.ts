import { SluiceError } from '../../errors.js';

/** Where in the SQL text something is: 1-based line and column, as the parser reports them. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * An expression or SQL text that cannot be parsed or resolved: a syntax error, an unknown
 * function, a wrong argument count, an aggregate where none is allowed. The message names the
 * position in the text (when known), shows the line with a caret under it, and says how to fix it.
 */
export class ExpressionError extends SluiceError {
  readonly position: TextPosition | undefined;

  constructor(message: string, options: { text?: string; position?: TextPosition } = {}) {
    const { text, position } = options;
    super('SLUICE_INVALID_EXPRESSION', ExpressionError.format(message, text, position), {
      context: { ...(text === undefined ? {} : { text }), ...(position === undefined ? {} : { position }) },
    });
    this.position = position;
  }

  private static format(message: string, text?: string, position?: TextPosition): string {
    if (text === undefined) return message;
    if (position === undefined) return `${message}\n  in: ${text}`;
    const line = text.split('\n')[position.line - 1] ?? '';
    const caret = `${' '.repeat(Math.max(0, position.column - 1))}^`;
    return `${message} (line ${position.line}, column ${position.column})\n  ${line}\n  ${caret}`;
  }
}
