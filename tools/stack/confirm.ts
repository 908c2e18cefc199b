// The yes/no question before `up` or `destroy` of an operator's stack, asked on the terminal (the CLI's own prompt
// cannot be used: the Automation API runs it non-interactively).
import * as readline from "readline";

/** Whether a person can be asked: both standard input and output are a terminal. */
export function canAsk(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Asks `question` until the answer is yes or no; only "yes" (or "y") is a yes, end of input is a no. */
export async function confirm(question: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
        for (;;) {
            const answer = await new Promise<string | undefined>((resolve) => {
                rl.question(`${question} [yes/no] `, resolve);
                rl.once("close", () => resolve(undefined));
            });
            if (answer === undefined) return false;
            const a = answer.trim().toLowerCase();
            if (a === "yes" || a === "y") return true;
            if (a === "no" || a === "n") return false;
        }
    } finally {
        rl.close();
    }
}
