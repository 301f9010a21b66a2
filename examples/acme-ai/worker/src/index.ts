import { Worker } from "bullmq";
import IORedis from "ioredis";
import nodemailer from "nodemailer";
import pg from "pg";

import { writeDigest } from "./digest.js";

const connection = new IORedis(process.env.REDIS_URL ?? "redis://localhost:6379", { maxRetriesPerRequest: null });
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const mailer = nodemailer.createTransport(process.env.SMTP_URL ?? "smtp://localhost:1025");

new Worker(
  "digests",
  async (job) => {
    const { accountId, csmEmail } = job.data as { accountId: string; csmEmail: string };
    const { rows } = await db.query(
      "select name, open_tickets, highlights from account_activity where id = $1",
      [accountId],
    );
    if (rows.length === 0) return;
    const text = await writeDigest({
      accountName: rows[0].name,
      openTickets: rows[0].open_tickets,
      highlights: rows[0].highlights,
    });
    await mailer.sendMail({ to: csmEmail, from: "digest@acme.ai", subject: `Digest: ${rows[0].name}`, text });
  },
  { connection, concurrency: 4 },
);

console.log("digest worker started");
