// The page's frame: sign-in, the header's navigation and which view location.hash shows. Each view module exports
// mount(container, ...) and returns a function that stops its timers and streams when the reader leaves it.
import { clearKey, getJson, getKey, messageOf, setKey, setUnauthorizedHandler, ApiError } from './api.js';
import { el } from './dom.js';
import * as storiesView from './stories.js';
import * as storyView from './story.js';
import * as silosView from './silos.js';

const viewContainer = document.getElementById('view');
const signOutButton = document.getElementById('signout');
const navLinks = { stories: document.getElementById('nav-stories'), silos: document.getElementById('nav-silos') };

let leaveView = null;

/** The view a hash names: "#/stories" (the default), "#/stories/ID", "#/silos"; anything else is not found. */
function routeOf(hash) {
  const path = hash.replace(/^#/, '') || '/stories';
  if (path === '/' || path === '/stories') return { name: 'stories' };
  if (path === '/silos') return { name: 'silos' };
  const story = /^\/stories\/([^/]+)$/.exec(path);
  if (story) {
    try {
      return { name: 'story', id: decodeURIComponent(story[1]) };
    } catch {
      return { name: 'not-found', path };   // a malformed %-escape
    }
  }
  return { name: 'not-found', path };
}

/** Shows what the hash names, or sign-in when this tab has no key. */
function show(signInMessage = '') {
  leaveView?.();
  leaveView = null;
  const signedIn = Boolean(getKey());
  document.body.classList.toggle('signed-in', signedIn);
  signOutButton.hidden = !signedIn;
  if (!signedIn) {
    markNav(null);
    showSignIn(signInMessage);
    return;
  }
  const route = routeOf(location.hash);
  markNav(route.name === 'story' ? 'stories' : route.name);
  viewContainer.replaceChildren();
  if (route.name === 'stories') leaveView = storiesView.mount(viewContainer);
  else if (route.name === 'story') leaveView = storyView.mount(viewContainer, route.id);
  else if (route.name === 'silos') leaveView = silosView.mount(viewContainer);
  else showNotFound(route.path);
}

function markNav(current) {
  for (const [name, link] of Object.entries(navLinks)) {
    if (name === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function showNotFound(path) {
  document.title = 'Not found · TttCluster';
  viewContainer.replaceChildren(el('section', { className: 'card narrow' },
    el('h1', { text: 'Nothing here' }),
    el('p', { text: `The page "${path}" does not exist. ` }, el('a', { text: 'Go to the stories', attrs: { href: '#/stories' } }))));
}

/** The sign-in form. The key is checked with GET /v1/stories before it is kept, so a typo is caught here. */
function showSignIn(message) {
  document.title = 'Sign in · TttCluster';
  const keyInput = el('input', { attrs: { id: 'api-key', type: 'password', name: 'api-key', autocomplete: 'current-password', required: true, spellcheck: 'false' } });
  const submit = el('button', { className: 'button-primary', text: 'Sign in', attrs: { id: 'signin-submit', type: 'submit' } });
  const error = el('p', { className: 'form-error', text: message, attrs: { id: 'signin-error', role: 'alert' } });
  const form = el('form', { className: 'card signin', attrs: { id: 'signin', novalidate: true } },
    el('h1', { text: 'Sign in to the farm' }),
    el('p', { className: 'muted', text: 'Enter the API key the farm\'s operator gave you. It is kept in this tab only, until you sign out or close it.' }),
    el('label', { text: 'API key', attrs: { for: 'api-key' } }),
    keyInput,
    error,
    el('div', { className: 'form-actions' }, submit));

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) {
      error.textContent = 'Enter your API key.';
      keyInput.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Checking…';
    error.textContent = '';
    try {
      await getJson('/v1/stories?offset=0&limit=1', { key });
      setKey(key);
      show();
    } catch (failure) {
      error.textContent = failure instanceof ApiError && failure.status === 401
        ? 'The farm does not accept this key. Check it and try again.'
        : `Could not sign in: ${messageOf(failure)}`;
      submit.disabled = false;
      submit.textContent = 'Sign in';
      keyInput.select();
    }
  });

  viewContainer.replaceChildren(form);
  keyInput.focus();
}

// A 401 anywhere (the key was revoked, or the farm restarted with other keys): back to sign-in, saying why. The
// view's other calls answer 401 too; only the first one, while a key is still kept, does anything.
setUnauthorizedHandler(error => {
  if (!getKey()) return;
  clearKey();
  show(`The farm no longer accepts this key (${error.message}). Sign in again.`);
});

signOutButton.addEventListener('click', () => {
  clearKey();
  show();
});

window.addEventListener('hashchange', () => show());
show();
