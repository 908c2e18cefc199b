// ESLint (flat config): TypeScript-aware rules (typescript-eslint, with type information from tsconfig.json and
// policy/tsconfig.json) and @pulumi/eslint-plugin (no Output in a plain template literal: use pulumi.interpolate).
// Run: npm run lint. See docs/contributing.md.
// @ts-check
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig([
    globalIgnores([
        "**/node_modules/",
        ".toolchain/",
        ".pulumi-state/",
        ".local-cloud/",
        "bin/",
        "policy/bin/",
        "coverage/",
    ]),

    js.configs.recommended,

    {
        files: ["**/*.ts", "**/*.mts"],
        extends: [tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: {
                // Each file is typed by its nearest tsconfig.json (the stack's, or policy/'s); config files that
                // no tsconfig includes get a default project.
                projectService: { allowDefaultProject: ["*.mts"] },
                tsconfigRootDir: import.meta.dirname,
            },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            // An Output in a template literal renders as a warning text, not its value.
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",

            // Promises: a floating or misused promise in a program loses errors and ordering.
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/await-thenable": "error",
            "@typescript-eslint/return-await": ["error", "in-try-catch"],
            "@typescript-eslint/require-await": "off", // dynamic providers implement async interfaces without awaiting
            // Objects (an Output among them) stringified by accident.
            "@typescript-eslint/no-base-to-string": "error",
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowNullish: true }],

            // `any` is used on purpose at the SDK's untyped edges (mocks, dynamic providers, policy props): the
            // compiler's strict mode covers the rest.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },

    {
        files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
        languageOptions: { globals: { process: "readonly", console: "readonly" } },
    },
]);
