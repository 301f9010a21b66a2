import Anthropic from "@anthropic-ai/sdk";

// ANTHROPIC_API_KEY comes from the pod environment (see deploy/k8s/worker.yaml).
const anthropic = new Anthropic();

export interface AccountActivity {
  accountName: string;
  openTickets: number;
  highlights: string[];
}

export async function writeDigest(activity: AccountActivity): Promise<string> {
  const msg = await anthropic.messages.create({
    model: "claude-3-5-haiku-latest",
    max_tokens: 600,
    system: "Write a short, plain-text morning digest for a customer success manager.",
    messages: [
      {
        role: "user",
        content: `Account: ${activity.accountName}\nOpen tickets: ${activity.openTickets}\n` +
          activity.highlights.map((h) => `- ${h}`).join("\n"),
      },
    ],
  });
  const block = msg.content[0];
  return block.type === "text" ? block.text : "";
}
