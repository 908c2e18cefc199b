// Replacing one tool's section of a Markdown document shared by several (bench/report/docSection.ts).
import { describe, expect, it } from "vitest";
import { replaceSection, sectionOf } from "../../bench/report/docSection";

const DOC = ["# Title", "", "intro", "", "## A", "", "a text", "", "## B", "", "b text", ""].join("\n");

describe("a document's sections", () => {
    it("reads one section, up to the next heading or the end", () => {
        expect(sectionOf(DOC, "## A")).toBe("## A\n\na text\n");
        expect(sectionOf(DOC, "## B")).toBe("## B\n\nb text\n");
        expect(sectionOf(DOC, "## C")).toBeUndefined();
        // A heading counts only as a whole line.
        expect(sectionOf(DOC, "## ")).toBeUndefined();
    });

    it("replaces a section in the middle and keeps what follows it", () => {
        const out = replaceSection(DOC, "## A", "## A\n\nnew a\nsecond line\n");
        expect(out).toBe(["# Title", "", "intro", "", "## A", "", "new a", "second line", "", "## B", "", "b text", ""].join("\n"));
    });

    it("replaces the last section, and appends a missing one after a blank line", () => {
        expect(replaceSection(DOC, "## B", "## B\n\nnew b")).toBe(["# Title", "", "intro", "", "## A", "", "a text", "", "## B", "", "new b", ""].join("\n"));
        expect(replaceSection(DOC, "## C", "## C\n\nc text\n")).toBe(DOC + "\n## C\n\nc text\n");
    });

    it("is idempotent, and refuses a text that does not start with the heading", () => {
        const once = replaceSection(DOC, "## C", "## C\n\nc\n");
        expect(replaceSection(once, "## C", "## C\n\nc\n")).toBe(once);
        expect(() => replaceSection(DOC, "## A", "## B\n\nx\n")).toThrow(/must start with its heading "## A"/);
    });
});
