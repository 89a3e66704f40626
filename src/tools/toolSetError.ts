/** A tool set that cannot be served; its message names the tool and the place. */
export class ToolSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolSetError';
  }
}
