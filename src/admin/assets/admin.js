// Keymail admin: the only script, loaded as a same-origin file (the CSP forbids inline script).
// Everything works without it; it adds copy buttons, confirm dialogs and forgetting a shown key.

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null
  if (!button) return
  const source = document.getElementById(button.getAttribute('data-copy') || '')
  if (!source) return
  navigator.clipboard.writeText(source.textContent || '').then(
    () => {
      button.textContent = 'Copied'
      setTimeout(() => (button.textContent = 'Copy'), 2000)
    },
    () => {
      // No clipboard permission (plain http, old browser): select the text so Ctrl+C works.
      const range = document.createRange()
      range.selectNodeContents(source)
      const selection = window.getSelection()
      selection?.removeAllRanges()
      selection?.addRange(range)
    },
  )
})

document.addEventListener('submit', (event) => {
  const form = event.target
  if (!(form instanceof HTMLFormElement)) return
  const question = form.getAttribute('data-confirm')
  if (question && !window.confirm(question)) event.preventDefault()
})

// A raw key is shown once: when the page is left, its text is removed so the back/forward cache cannot show it.
window.addEventListener('pagehide', () => {
  for (const element of document.querySelectorAll('[data-once]')) element.textContent = ''
})
