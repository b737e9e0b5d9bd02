/** A page-level message: errors (not found, bad input) and empty states. */
export function Notice({ heading, message }: { heading: string; message: string }) {
  return (
    <section class="notice">
      <h1>{heading}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to recommendations</a>
      </p>
    </section>
  );
}
