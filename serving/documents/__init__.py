"""Printable documents Vigie hands out (HTML that prints on A4, self-contained): the notice
to a student and their family (`notice_html`), and the page skeleton they share (`page`)."""
