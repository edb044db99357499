// Test-only reader of the local R2 bucket; everything else goes to the drain Worker as it came.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/__r2/list") {
      const keys = [];
      let cursor;
      do {
        const page = await env.LOGS.list({ cursor, limit: 1000 });
        for (const o of page.objects) keys.push(o.key);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return Response.json(keys);
    }
    if (url.pathname === "/__r2/get") {
      const object = await env.LOGS.get(url.searchParams.get("key"));
      if (object === null) return new Response("no such object", { status: 404 });
      return new Response(object.body, {
        headers: {
          "x-stored-content-type": object.httpMetadata?.contentType ?? "",
          "x-stored-content-encoding": object.httpMetadata?.contentEncoding ?? "",
        },
      });
    }
    if (url.pathname === "/__r2/scheduled") {
      const result = await env.COMPACT.scheduled({ cron: "7 * * * *", scheduledTime: new Date() });
      return Response.json(result);
    }
    if (url.pathname === "/__r2/delete") {
      await env.LOGS.delete(url.searchParams.get("key"));
      return new Response("deleted");
    }
    return env.DRAIN.fetch(request);
  },
};
